package pii

import "strings"

// builtinSurnames are common Chinese surnames, simplified and traditional,
// single and compound. The list is hand-written and deliberately leaves out
// rare surnames that are common words.
var builtinSurnames = func() map[string]bool {
	single := "王李张張刘劉陈陳杨楊黄黃赵趙吴吳周徐孙孫马馬朱胡郭何林高罗羅郑鄭梁谢謝宋唐许許韩韓冯馮邓鄧曹彭曾肖蕭萧" +
		"田董袁潘于蒋蔣蔡余杜叶葉程苏蘇魏吕呂丁任沈姚卢盧姜崔钟鍾谭譚陆陸汪范金石廖贾賈夏韦韋付傅方白邹鄒孟熊秦邱" +
		"江尹薛闫閆段雷侯龙龍史陶黎贺賀顾顧毛郝龚龔邵万萬钱錢严嚴覃武戴莫孔向汤湯常温溫康施文牛樊葛邢安齐齊易乔喬" +
		"伍庞龐颜顏倪庄莊聂聶章鲁魯岳翟殷詹申耿关關兰蘭焦俞左柳甘祝包宁寧尚符舒阮柯纪紀梅童凌毕畢单單季裴霍涂塗成" +
		"苗谷盛曲翁冉骆駱蓝藍路游辛靳欧歐管柴蒙鲍鮑华華喻祁蒲房滕屈饶饒解牟艾尤阳陽时時穆农農司卓古吉缪繆简簡车車" +
		"项項连連芦蘆麦麥褚娄婁窦竇戚岑景党黨宫宮费費卜冷晏席卫衛米柏宗瞿桂全佟应應臧闵閔苟邬鄔边邊卞姬师師和仇栾欒" +
		"隋商刁沙荣榮巫寇桑郎甄丛叢仲虞敖巩鞏明佘池查麻苑迟遲邝鄺官封谈談匡鞠惠荆荊乐樂冀郁胥南班储儲原栗燕楚鄢劳勞" +
		"谌諶奚皮粟冼蔺藺楼樓盘盤满滿闻聞位厉厲伊仝区區郜海阚闞花权權强強帅帥屠豆朴盖蓋练練廉禹井祖漆巴丰支卿国國狄平" +
		"计計索宣晋晉相初门門云雲容敬来來扈晁芮都普阙闕浦戈伏鹿薄邸雍辜羊阿乌烏母裘亓修邰赫杭况況那宿鲜鮮印逯隆茹诸諸" +
		"战戰慕危玉银銀亢嵇公哈湛宾賓戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴陰昝智幸奉植衡富尧堯闭閉由"
	compound := []string{
		"欧阳", "歐陽", "司马", "司馬", "上官", "诸葛", "諸葛", "东方", "東方", "皇甫", "尉迟", "尉遲", "公孙", "公孫",
		"慕容", "长孙", "長孫", "宇文", "司徒", "夏侯", "轩辕", "軒轅", "令狐", "端木", "独孤", "獨孤", "南宫", "南宮",
		"西门", "西門", "澹台", "澹臺", "公羊", "万俟", "萬俟", "闻人", "聞人", "呼延", "申屠", "太史", "钟离", "鍾離",
	}
	m := make(map[string]bool, 600)
	for _, r := range single {
		m[string(r)] = true
	}
	for _, c := range compound {
		m[c] = true
	}
	// Characters that are far more often words than surnames here.
	for _, r := range strings.Split("和 由 位 那 都 来 來 平 元 信 利 海 全 成 路 原 公 相 干 但 於 于 向 国 國", " ") {
		delete(m, r)
	}
	return m
}()
